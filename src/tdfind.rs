//! FreeBSD tdfind on type-stable memory (issue 6, being ported).
