# Finds what vidssl builds against. The core needs LibTorch (Debian's 1.13 CPU build, or a CUDA
# LibTorch 2.x from PyTorch: pass -DCMAKE_PREFIX_PATH=<the torch package folder>, see README) and the
# Boost.Lockfree headers. The rest (FFmpeg, OpenCV, yaml-cpp, spdlog, CLI11) is needed unless
# VIDSSL_CORE_ONLY is on.

# A CUDA LibTorch enables the CUDA language itself: nvcc must be on the PATH (or CUDACXX set).
find_package(Torch REQUIRED)
get_target_property(VIDSSL_TORCH_LOCATION torch LOCATION)
get_filename_component(VIDSSL_TORCH_LIBDIR "${VIDSSL_TORCH_LOCATION}" DIRECTORY)
message(STATUS "LibTorch ${Torch_VERSION} in ${VIDSSL_TORCH_LIBDIR} (CUDA: ${TORCH_CUDA_LIBRARIES})")

# TorchConfig looks for libc10 with find_library, which searches the system folders before the
# package's own: given only torch.utils.cmake_prefix_path, a PyTorch LibTorch 2.x picks Debian's
# libc10.so 1.13 beside it, and the program would mix the two.
get_filename_component(VIDSSL_C10_LIBDIR "${c10_LIBRARY}" DIRECTORY)
if(c10_LIBRARY AND NOT VIDSSL_C10_LIBDIR STREQUAL VIDSSL_TORCH_LIBDIR)
  message(FATAL_ERROR "libc10 (${c10_LIBRARY}) is not beside libtorch (${VIDSSL_TORCH_LIBDIR}): "
    "pass the torch package folder itself, -DCMAKE_PREFIX_PATH=${TORCH_INSTALL_PREFIX}, in a fresh build folder")
endif()

# LibTorch 2.x headers need C++20 (its target asks for cxx_std_20); Debian's 1.13 asks for nothing and
# the project stays on C++17. One standard for every target, so the torch PCH fits them all.
get_target_property(VIDSSL_TORCH_FEATURES torch INTERFACE_COMPILE_FEATURES)
foreach(std 23 20)
  if("cxx_std_${std}" IN_LIST VIDSSL_TORCH_FEATURES)
    set(CMAKE_CXX_STANDARD ${std})
    break()
  endif()
endforeach()

# A PyTorch wheel's LibTorch finds the CUDA libraries it was built with in site-packages/nvidia/*/lib
# (its RPATH); the CUDA language links libcudart and libnvrtc from the toolkit instead, whose folder
# would then come first, at link time and at run time: the toolkit's NCCL (2.28 in CUDA 13.0) lacks
# symbols LibTorch 2.15 needs, and the toolkit's runtime is older than the wheel's. Search the wheel's
# first.
file(GLOB VIDSSL_WHEEL_CUDA_LIBDIRS LIST_DIRECTORIES true "${TORCH_INSTALL_PREFIX}/../nvidia/*/lib")
if(VIDSSL_WHEEL_CUDA_LIBDIRS)
  list(PREPEND CMAKE_BUILD_RPATH ${VIDSSL_WHEEL_CUDA_LIBDIRS})
endif()

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
      # GoogleTest 1.11 and later name their targets so themselves.
      if(NOT TARGET GTest::gtest)
        add_library(GTest::gtest ALIAS gtest)
        add_library(GTest::gtest_main ALIAS gtest_main)
      endif()
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
  # PyTorch's include folder carries fmt 12 for its own sources (torch/torch.h includes none of it),
  # and as an -isystem folder it is searched before /usr/include, where Debian's spdlog 1.10 finds
  # the fmt 9 it was built for: spdlog then failed to compile (fmt::basic_runtime is gone since
  # fmt 10). spdlog's users see fmt 9 through a folder holding only it, given as -I, which GCC
  # searches before every -isystem folder.
  get_target_property(VIDSSL_FMT_INCLUDE fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  if(EXISTS "${TORCH_INSTALL_PREFIX}/include/fmt" AND NOT "${TORCH_INSTALL_PREFIX}/include" STREQUAL VIDSSL_FMT_INCLUDE)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/spdlog-fmt)
    file(CREATE_LINK ${VIDSSL_FMT_INCLUDE}/fmt ${CMAKE_BINARY_DIR}/spdlog-fmt/fmt SYMBOLIC)
    add_library(vidssl_spdlog_fmt INTERFACE)
    target_include_directories(vidssl_spdlog_fmt INTERFACE ${CMAKE_BINARY_DIR}/spdlog-fmt)
    target_link_libraries(spdlog::spdlog INTERFACE vidssl_spdlog_fmt)
  endif()
  find_package(CLI11 REQUIRED)
endif()

# Every target that includes torch/torch.h reuses one precompiled header (compiling the header
# alone takes ~19 s on the 2-core machine).
function(vidssl_use_torch_pch target)
  if(TARGET vidssl_torch_pch)
    target_precompile_headers(${target} REUSE_FROM vidssl_torch_pch)
  endif()
endfunction()
