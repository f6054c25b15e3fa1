# Just enough of MicroPython's `machine` for a board module to wire itself
# up on the unix port: each part records how it was made.


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 2

    def __init__(self, number, *mode, **options):
        self.number = number

    def value(self, level=None):
        return 1


class I2C:
    def __init__(self, bus, **options):
        self.bus = bus
        self.options = options

    def writeto(self, address, data):
        return len(data)


class UART:
    def __init__(self, number, **options):
        self.number = number
        self.options = options


class RTC:
    def datetime(self, fields=None):
        return None
