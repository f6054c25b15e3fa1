# rp2.Flash as a record of the window it was opened on.


class Flash:
    def __init__(self, start=0, len=0):
        self.start = start
        self.len = len
