"""Platform league (docs/league.md): platform evaluation runs, tiered competition, 进退档, 约谈 and top
lists, performance-pay pools and the plan's target board with warnings."""
