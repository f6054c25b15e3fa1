# Damage on a serial line, for tests of the service link: per chunk, a flipped
# bit, junk in front, or the chunk cut short, each at `rate`.
import random


def line_noise(seed, rate, kept_from_board=b">"):
    """A damage(chunk, direction) function; its `damaged` counts what it hit.

    Junk sent toward the board ("out") never holds the bytes in
    `kept_from_board`: ">" would start a command line of its own, and on a real
    console Ctrl-C (0x03) stops the app rather than being noise.
    """
    chooser = random.Random(seed)

    def damage(chunk, direction):
        roll = chooser.random()
        if roll < 3 * rate:
            damage.damaged += 1
        if roll < rate:
            chunk = bytearray(chunk)
            bit = chooser.randrange(len(chunk) * 8)
            chunk[bit // 8] ^= 1 << (bit % 8)
            return bytes(chunk)
        if roll < 2 * rate:
            junk = bytes(chooser.randrange(256) for _ in range(chooser.randrange(1, 20)))
            if direction == "out":
                for byte in kept_from_board:
                    junk = junk.replace(bytes((byte,)), b"")
            return junk + chunk
        if roll < 3 * rate:
            return chunk[:chooser.randrange(len(chunk))]
        return chunk

    damage.damaged = 0
    return damage
