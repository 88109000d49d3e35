"""作战图 (plan §五(二)(三)): each platform's tasks, milestones, progress reports and alerts."""
