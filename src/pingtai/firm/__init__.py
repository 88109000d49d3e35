"""The enterprise side of 亩均论英雄 (docs/enterprise.md): enterprise accounts, 一企一单,
公示 windows on a working-day calendar, 异议 and 复核, re-grades, result letters, reminders."""
