//! NetBSD LWP lock lending (issue 4, being ported).
