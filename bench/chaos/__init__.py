"""`make chaos`: kill -9 of worker and web processes during 1,000 tasks → docs/reliability.md."""
