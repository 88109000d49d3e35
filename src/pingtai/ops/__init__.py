"""Operations: backup and restore, upgrades."""
