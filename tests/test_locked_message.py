# What a technician reads when a locked terminal's REPL does not answer: the
# same words whichever tool met it (flash, provision, a run on the board), so
# they must not send a technician who ran `reslip provision` to run flash.
import pytest

from reslip import deploy
from terminal import link
from terminal.link import ServiceLink

from test_pull_chain import _cable, _filled


class _Transport:
    def __init__(self, cable):
        cable.timeout = 1.0
        self.serial = cable


def test_the_locked_terminal_message_names_no_other_command():
    cable = _cable(_filled(1)[1])
    cable.device = ServiceLink(cable.to_device, cable.from_device, _filled(1)[1],
                               {"terminal": "00000007", "firmware": "1.0"},
                               break_on_ctrl_c=False, key=bytes(32), locked=True)
    try:
        with pytest.raises(deploy.DeployError) as refused:
            deploy._refuse_if_locked(_Transport(cable))
    finally:
        link.set_locked(False)
    message = str(refused.value)
    assert message.startswith("terminal 00000007 is locked")
    assert "run flash again" not in message
    assert "run the command again within 5 minutes" in message
