//! [`CachePadded`]: one value per cache line, so that two hot atomics written
//! by different threads never share a line (false sharing).

use core::fmt;
use core::ops::{Deref, DerefMut};

/// Pads and aligns a value to the length of a cache line.
///
/// The alignment is 128 bytes on x86-64 and AArch64 — their lines are 64
/// bytes, but x86's adjacent-line prefetcher pulls lines in pairs and Apple's
/// AArch64 cores use 128-byte lines — and 64 bytes on every other target.
/// Because a type's size is a multiple of its alignment, a `CachePadded<T>`
/// (for a `T` no larger than a line) owns its whole line: neighbours in a
/// struct or an array can never land on it.
///
/// ```
/// use ferrows_core::queue::CachePadded;
///
/// let mut counter = CachePadded::new(0_u64);
/// *counter += 1;
/// assert_eq!(*counter, 1);
/// assert!(core::mem::align_of::<CachePadded<u64>>() >= 64);
/// assert_eq!(counter.into_inner(), 1);
/// ```
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    repr(align(64))
)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    /// Pads and aligns `value` to a cache line.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// Returns the inner value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> From<T> for CachePadded<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CachePadded").field(&self.0).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::CachePadded;
    use core::mem::{align_of, size_of};

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    const LINE: usize = 128;
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    const LINE: usize = 64;

    #[test]
    fn padded_word_fills_exactly_one_line() {
        assert_eq!(align_of::<CachePadded<u8>>(), LINE);
        assert_eq!(size_of::<CachePadded<u8>>(), LINE);
        assert_eq!(size_of::<CachePadded<usize>>(), LINE);
    }

    #[test]
    fn padded_large_value_rounds_up_to_whole_lines() {
        assert_eq!(size_of::<CachePadded<[u8; 129]>>() % LINE, 0);
        assert!(size_of::<CachePadded<[u8; 129]>>() >= 129);
    }

    #[test]
    fn padded_neighbours_in_a_struct_start_on_different_lines() {
        struct Pair {
            a: CachePadded<usize>,
            b: CachePadded<usize>,
        }
        let pair = Pair {
            a: CachePadded::new(1),
            b: CachePadded::new(2),
        };
        let a = core::ptr::from_ref(&*pair.a) as usize;
        let b = core::ptr::from_ref(&*pair.b) as usize;
        assert!(a.abs_diff(b) >= LINE);
        assert_eq!(a % LINE, 0);
        assert_eq!(b % LINE, 0);
    }

    #[test]
    fn padded_deref_mut_into_inner_and_from_round_trip() {
        let mut padded = CachePadded::from(vec![1, 2]);
        padded.push(3);
        assert_eq!(padded.len(), 3);
        assert_eq!(format!("{padded:?}"), "CachePadded([1, 2, 3])");
        assert_eq!(padded.clone().into_inner(), vec![1, 2, 3]);
        assert_eq!(CachePadded::<u8>::default(), CachePadded::new(0));
    }
}
