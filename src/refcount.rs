//! NetBSD LWP reference drain (issue 5, being ported).
