# Finds what vidssl builds against. The core needs LibTorch (Debian's 1.13 CPU build or a CUDA
# LibTorch 2.x: pass -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)'))
# and the Boost.Lockfree headers. The rest (FFmpeg, OpenCV, yaml-cpp, spdlog, CLI11) is needed
# unless VIDSSL_CORE_ONLY is on.

find_package(Torch REQUIRED)
message(STATUS "LibTorch ${Torch_VERSION} (CUDA: ${TORCH_CUDA_LIBRARIES})")

find_path(VIDSSL_BOOST_LOCKFREE_DIR boost/lockfree/spsc_queue.hpp
  HINTS ${VIDSSL_BOOST_INCLUDE} ${CMAKE_SOURCE_DIR}/third_party/boost)
if(NOT VIDSSL_BOOST_LOCKFREE_DIR)
  message(FATAL_ERROR "boost/lockfree/spsc_queue.hpp not found: install libboost-dev or set VIDSSL_BOOST_INCLUDE")
endif()
add_library(vidssl_boost INTERFACE)
target_include_directories(vidssl_boost SYSTEM INTERFACE ${VIDSSL_BOOST_LOCKFREE_DIR})

find_package(Threads REQUIRED)

find_package(GTest QUIET)
if(NOT GTest_FOUND)
  foreach(dir ${VIDSSL_GTEST_SOURCE} ${CMAKE_SOURCE_DIR}/third_party/googletest /usr/src/googletest)
    if(EXISTS ${dir}/CMakeLists.txt)
      set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
      add_subdirectory(${dir} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
      add_library(GTest::gtest ALIAS gtest)
      add_library(GTest::gtest_main ALIAS gtest_main)
      set(GTest_FOUND TRUE)
      break()
    endif()
  endforeach()
endif()
if(NOT GTest_FOUND)
  message(FATAL_ERROR "GoogleTest not found: install libgtest-dev or set VIDSSL_GTEST_SOURCE")
endif()
include(GoogleTest)

find_package(benchmark QUIET)

if(NOT VIDSSL_CORE_ONLY)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavdevice libavutil libswscale)
  find_package(OpenCV REQUIRED COMPONENTS core imgproc highgui videoio calib3d)
  find_package(yaml-cpp REQUIRED)
  find_package(spdlog REQUIRED)
  find_package(CLI11 REQUIRED)
endif()

# Every target that includes torch/torch.h reuses one precompiled header (compiling the header
# alone takes ~19 s on the 2-core machine).
function(vidssl_use_torch_pch target)
  if(TARGET vidssl_torch_pch)
    target_precompile_headers(${target} REUSE_FROM vidssl_torch_pch)
  endif()
endfunction()
