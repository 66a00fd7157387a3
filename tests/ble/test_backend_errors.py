"""The Bumble backend's error mapping, which the link's reconnect loop depends on."""

import asyncio

import pytest
from bleak.exc import BleakError

from twitchwatch.ble.bumble_backend import _radio


def test_future_cancelled_by_the_stack_becomes_bleak_error():
    # Bumble cancels a pending ATT response when the link drops; the caller is not cancelled.
    async def main():
        pending = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, pending.cancel)
        with pytest.raises(BleakError, match="connection dropped"):
            await _radio("write", pending)
        return True

    assert asyncio.run(main())


def test_cancelling_the_caller_still_cancels():
    async def main():
        never = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(_radio("read", never))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_timeout_inside_wait_for_stays_a_timeout():
    async def main():
        never = asyncio.get_running_loop().create_future()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(_radio("read", never), 0.01)

    asyncio.run(main())
