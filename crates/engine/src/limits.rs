//! Bounds every decoder of on-disk data holds to.

/// Most elements reserved up front for a count read from disk: the count is already bounded
/// by the input length, but an element is larger than a byte, so reserving all of it could
/// amplify a forged count; vectors grow past this as elements actually decode.
pub(crate) const PREALLOC_LIMIT: usize = 1024;
