//! illumos tid hash: growth with retired tables and lock-free lookup (issue 3, being ported).
