# Installs bindings/python/berth as install component "python" (in a plain
# install with BERTH_INSTALL_PYTHON=ON). The directory, relative to the
# prefix, is BERTH_PYTHON_INSTALL_DIR: by default where the interpreter
# BERTH_PYTHON looks for packages under that prefix (Debian:
# lib/python3/dist-packages for /usr, lib/python3.X/dist-packages elsewhere;
# other systems: lib/python3.X/site-packages).
set(BERTH_PYTHON /usr/bin/python3 CACHE FILEPATH "The Python the bindings are installed for")
if(NOT BERTH_PYTHON_INSTALL_DIR)
  execute_process(COMMAND ${BERTH_PYTHON} -c
    "import sys; print('%d.%d' % sys.version_info[:2]); print(int(any(p.endswith('dist-packages') for p in sys.path)))"
    OUTPUT_VARIABLE _berth_py RESULT_VARIABLE _berth_py_rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT _berth_py_rc EQUAL 0)
    if(BERTH_INSTALL_PYTHON)
      message(FATAL_ERROR "BERTH_INSTALL_PYTHON: cannot run ${BERTH_PYTHON} (set BERTH_PYTHON or BERTH_PYTHON_INSTALL_DIR)")
    endif()
    return() # no Python here: nothing to install
  endif()
  string(REPLACE "\n" ";" _berth_py "${_berth_py}")
  list(GET _berth_py 0 _berth_py_ver)
  list(GET _berth_py 1 _berth_py_debian)
  if(_berth_py_debian AND CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(_berth_py_dir lib/python3/dist-packages)
  elseif(_berth_py_debian)
    set(_berth_py_dir lib/python${_berth_py_ver}/dist-packages)
  else()
    set(_berth_py_dir lib/python${_berth_py_ver}/site-packages)
  endif()
  set(BERTH_PYTHON_INSTALL_DIR ${_berth_py_dir} CACHE PATH
    "Where the Python bindings go, relative to the prefix")
endif()

set(_berth_py_all)
if(NOT BERTH_INSTALL_PYTHON)
  set(_berth_py_all EXCLUDE_FROM_ALL)
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/bindings/python/berth/ DESTINATION ${BERTH_PYTHON_INSTALL_DIR}/berth
  COMPONENT python ${_berth_py_all}
  FILES_MATCHING PATTERN "*.py" PATTERN "py.typed" PATTERN "__pycache__" EXCLUDE)
# the library's directory seen from the package's (both under the prefix)
file(RELATIVE_PATH _berth_py_to_lib "/prefix/${BERTH_PYTHON_INSTALL_DIR}/berth" "/prefix/${CMAKE_INSTALL_LIBDIR}")
file(WRITE ${CMAKE_BINARY_DIR}/python/_install.py
  "# Written by cmake --install (BERTH_INSTALL_PYTHON): where libberth.so.0 is,\n"
  "# relative to this package's directory.\n"
  "LIBDIR_FROM_PACKAGE = \"${_berth_py_to_lib}\"\n")
install(FILES ${CMAKE_BINARY_DIR}/python/_install.py DESTINATION ${BERTH_PYTHON_INSTALL_DIR}/berth
  COMPONENT python ${_berth_py_all})
