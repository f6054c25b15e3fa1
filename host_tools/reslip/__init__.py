"""reslip on the PC: deploy, pull, find and reprint, simulate, and the board in a box."""
