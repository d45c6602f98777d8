"""The core app holds cross-domain plumbing (events, notifications, roles) and no tables."""
