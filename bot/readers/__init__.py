"""Readers: what people send, read into values — a 交办单 written in one message, the minutes'
files, workbooks — each measured before it is read (``file_limits``). A reader touches no
database."""
