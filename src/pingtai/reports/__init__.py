"""Documents in Chinese government style: notices (通报) as .docx, PDF and .xlsx, with charts."""
