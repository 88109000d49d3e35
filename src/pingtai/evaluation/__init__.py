"""Enterprise per-mu evaluation (亩均效益综合评价): inputs joined by USCC, runs, publication,
classes and policies, low-efficiency land, portraits."""
