"""要素差别化配置 (plan §四(七)): quota pools, allocation runs, project admission (标准地),
commitments and post-evaluation (后评估)."""
