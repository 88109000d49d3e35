"""The embedded default: Lishui's platform system (丽政办发〔2021〕46号) and its demo data."""
