# Injected OpenCL failures (HS_CL_FAULT, real/exec/cl_util.c): no
# platform, a failed kernel build, a failed buffer allocation.  Each is a
# clear error and exit 1 from hetsoc real, validate and profile, never a
# crash; a failed profile leaves no file behind.  Skips without OpenCL.
. "$(dirname "$0")/real_lib.sh"

check_fault() {
    fault=$1 message=$2
    export HS_CL_FAULT=$fault
    expect_status 1 $HETSOC real $small --policy fifo
    expect_err "$message"
    expect_status 1 $HETSOC validate $small --policy fifo
    expect_err "$message"
    expect_status 1 $HETSOC profile --quick --quiet --name x -o "$tmp/x.yaml"
    expect_err "$message"
    [ -e "$tmp/x.yaml" ] && fail "HS_CL_FAULT=$fault: profile wrote a file"
    unset HS_CL_FAULT
}

check_fault no-platform "error: .*no OpenCL platform found"
check_fault build "error: .*building the OpenCL kernels failed: CL_BUILD_PROGRAM_FAILURE"
check_fault alloc "error: .*cannot allocate a buffer .*CL_MEM_OBJECT_ALLOCATION_FAILURE.*out of device memory"
finish
