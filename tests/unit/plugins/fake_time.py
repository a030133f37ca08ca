"""A clock for waiting code: sleep() advances monotonic() at once and records how long was asked."""


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds
