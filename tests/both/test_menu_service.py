# The admin's service window for a locked console, in both runtimes: opened
# and closed from the keypad, behind the admin's PIN.
from terminal import link

from test_menu import play, supervised


def test_admin_opens_and_closes_the_service_window_of_a_locked_console():
    link.set_locked(True)
    try:
        assert link.service_window_ms() == 0
        menu = play("""
            B 0000 # 8 9999 #   ? 1 PINS 2 HEADER
            * *                 ? 8 SERVICE WINDOW
            8                   ? OPEN SERVICE?
                                ? 5 MIN FOR FLASH
            #                   ? SERVICE OPEN
            """, supervised(500))
        assert link.service_window_ms() > link.SERVICE_WINDOW_MS - 60000
        assert link.ctrl_c_stops_app()

        play("""
            C 8                 ? CLOSE SERVICE?
            #                   ? SERVICE CLOSED
                                ? CONSOLE LOCKED
            """, menu=menu)
        assert link.service_window_ms() == 0
        assert not link.ctrl_c_stops_app()
    finally:
        link.close_service_window()
        link.set_locked(False)


def test_cancel_leaves_the_window_closed():
    link.set_locked(True)
    try:
        play("""
            B 0000 # 8 9999 # 8 ? OPEN SERVICE?
            C                   ? 1 PINS 2 HEADER
            """, supervised(500))
        assert link.service_window_ms() == 0
    finally:
        link.set_locked(False)


def test_an_unlocked_console_needs_no_window():
    play("""
        B 0000 # 8 9999 # 8 ? NOT LOCKED
                            ? FLASH ALLOWED
        """, supervised(500))
    assert link.service_window_ms() == 0


def test_the_window_needs_the_admin_pin():
    link.set_locked(True)
    try:
        play("""
            B 0000 # 8 1111 #   ? WRONG PIN
            8 #                 ? WRONG PIN
            """, supervised(500))
        assert link.service_window_ms() == 0
    finally:
        link.set_locked(False)
