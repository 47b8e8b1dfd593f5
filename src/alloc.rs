//! Memory for tree-sitter's C core. Parsing allocates and frees a node at a time, and glibc's
//! malloc spent a tenth of a run on it; mimalloc does the same work in a fraction of that. It is
//! tree-sitter's allocator only: as Rust's global allocator it was no faster and doubled peak
//! memory (see the README's Performance section).

use std::ffi::c_void;

/// Points tree-sitter's allocator at mimalloc. Called first thing in `main`, before any
/// tree-sitter object exists, as `tree_sitter::set_allocator` requires.
pub fn use_mimalloc_for_tree_sitter() {
    let allocator = tree_sitter::Allocator {
        malloc: checked_malloc,
        calloc: checked_calloc,
        realloc: checked_realloc,
        free: mimalloc_free,
    };
    // SAFETY: the four functions are one allocator family (mimalloc), never return null (they
    // abort, as tree-sitter's own defaults do), return malloc-aligned memory, and no tree-sitter
    // object exists yet: this runs before the command line is read.
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}

/// Out of memory ends the process, as tree-sitter's default allocator does.
fn non_null(pointer: *mut c_void, size: usize) -> *mut c_void {
    if pointer.is_null() && size != 0 {
        std::process::abort();
    }
    pointer
}

unsafe extern "C" fn checked_malloc(size: usize) -> *mut c_void {
    // SAFETY: mi_malloc has no preconditions.
    non_null(unsafe { libmimalloc_sys::mi_malloc(size) }, size)
}

unsafe extern "C" fn checked_calloc(count: usize, size: usize) -> *mut c_void {
    // SAFETY: mi_calloc has no preconditions.
    non_null(
        unsafe { libmimalloc_sys::mi_calloc(count, size) },
        count.saturating_mul(size),
    )
}

unsafe extern "C" fn checked_realloc(pointer: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: tree-sitter passes null or a pointer this family returned.
    non_null(unsafe { libmimalloc_sys::mi_realloc(pointer, size) }, size)
}

unsafe extern "C" fn mimalloc_free(pointer: *mut c_void) {
    // SAFETY: tree-sitter frees only pointers this family returned.
    unsafe { libmimalloc_sys::mi_free(pointer) }
}
