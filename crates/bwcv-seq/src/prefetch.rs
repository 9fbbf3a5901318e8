//! A cache prefetch hint for the search's random reads.
//!
//! The seed look-ups and the reference windows of their hits are random
//! reads of tables far larger than the cache. Issuing the read of an element
//! a few iterations before it is used lets many misses be in flight while
//! the loop works on elements already fetched.

/// Hints that `slice[index]` will be read soon; does nothing when `index` is
/// out of bounds or the target has no prefetch instruction. A hint only:
/// it never reads or changes a value and cannot fault.
#[inline(always)]
pub(crate) fn prefetch<T>(slice: &[T], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(element) = slice.get(index) {
        let pointer = std::ptr::from_ref(element).cast::<i8>();
        #[allow(unsafe_code)]
        // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 processor has
        // (it is in the target's baseline); a prefetch does not dereference
        // its pointer in the language's sense, may not fault, and here points
        // into a live slice in any case.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(pointer);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, index);
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn any_index_of_any_slice_is_only_a_hint() {
        let values = vec![7u32; 100];
        for index in [0, 1, 99, 100, 1_000, usize::MAX] {
            prefetch(&values, index);
        }
        prefetch::<u8>(&[], 0);
        assert_eq!(values, vec![7u32; 100]);
    }
}
