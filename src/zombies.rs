//! FreeBSD exiting-thread count and zombie lists (issue 5, being ported).
