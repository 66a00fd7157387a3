"""Fake `bluetooth` (the ESP32 subset the firmware uses), bridged to a Bumble peripheral.

Every call travels as one JSON line over TCP to tests/firmware/fw_ble_bridge.py (port in
TWW_BRIDGE_PORT), which owns a Bumble device on a virtual link. Calls wait for their reply, so
gatts_notify blocks until Bumble took the packet, like the stack's buffer does on the board.
Events (connect, disconnect, writes, MTU) come back on the same socket and are dispatched to the
irq handler by an asyncio task, as the ESP32 port runs IRQs as scheduled callbacks.
"""

import asyncio
import binascii
import json
import os
import select
import socket

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020


class UUID:
    def __init__(self, value):
        if isinstance(value, int):
            self.text = "%04x" % value
        else:
            self.text = str(value).lower()

    def __str__(self):
        return self.text


def _hex(b):
    return binascii.hexlify(b).decode()


def _unhex(t):
    return binascii.unhexlify(t)


class BLE:
    _instance = None

    def __new__(cls):
        if BLE._instance is None:
            BLE._instance = object.__new__(cls)
            BLE._instance._init()
        return BLE._instance

    def __init__(self):
        pass

    def _init(self):
        port = int(os.getenv("TWW_BRIDGE_PORT") or "0")
        s = socket.socket()
        s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        self.sock = s
        self.poller = select.poll()
        self.poller.register(s, select.POLLIN)
        self.rx = b""
        self.events = []
        self.values = {}
        self.handler = None
        self.next_id = 1
        self.pump = None
        self.heap_max = 0

    # ---- transport ---------------------------------------------------------------------------------
    def _read_some(self, timeout_ms):
        if not self.poller.poll(timeout_ms):
            return False
        data = self.sock.recv(4096)
        if not data:
            raise OSError(104)   # bridge went away
        self.rx += data
        return True

    def _lines(self):
        while b"\n" in self.rx:
            line, self.rx = self.rx.split(b"\n", 1)
            msg = json.loads(line)
            if "ev" in msg:
                self.events.append(msg)
            else:
                return msg
        return None

    def _call(self, op, **args):
        args["op"] = op
        args["id"] = self.next_id
        self.next_id += 1
        self.sock.send(json.dumps(args).encode() + b"\n")
        while True:
            msg = self._lines()
            if msg is not None:
                if "err" in msg:
                    raise OSError(msg["err"])
                return msg.get("result")
            self._read_some(5000)

    async def _pump(self):
        import gc
        while True:
            used = gc.mem_alloc()
            if used > self.heap_max:
                self.heap_max = used    # includes garbage not yet collected: a high-water mark
            while self._read_some(0):
                pass
            msg = self._lines()
            if msg is not None:
                pass   # a stray reply cannot happen: calls are synchronous
            while self.events:
                ev = self.events.pop(0)
                self._dispatch(ev)
            await asyncio.sleep_ms(2)

    def _dispatch(self, ev):
        code = ev["ev"]
        if code == "mem":
            import gc
            import micropython
            gc.collect()
            print("MEMINFO live=%d free=%d heap_max=%d" % (gc.mem_alloc(), gc.mem_free(),
                                                            self.heap_max))
            micropython.mem_info()
            return
        data = ev.get("data", [])
        if code == 3:
            self.values[data[1]] = _unhex(ev["value"])
        if code == 1:
            data = (data[0], data[1], memoryview(_unhex(data[2])))
        else:
            data = tuple(data)
        if self.handler:
            self.handler(code, data)

    # ---- the bluetooth.BLE API -------------------------------------------------------------------
    def active(self, state=None):
        if state is None:
            return True
        self._call("active", state=bool(state))
        return None

    def config(self, *args, **kwargs):
        if args:
            if args[0] == "mac":
                return (0, _unhex(self._call("mac")))
            if args[0] == "mtu":
                return 247
            raise ValueError("unknown config param")
        self._call("config", **kwargs)

    def irq(self, handler):
        self.handler = handler
        if self.pump is None:
            self.pump = asyncio.create_task(self._pump())

    def gatts_register_services(self, services):
        spec = []
        for svc_uuid, chars in services:
            spec.append([str(svc_uuid), [[str(c[0]), c[1]] for c in chars]])
        handles = self._call("register", services=spec)
        return tuple(tuple(h) for h in handles)

    def gatts_set_buffer(self, handle, size, append=False):
        pass

    def gatts_write(self, handle, data, send_update=False):
        data = bytes(data)
        self.values[handle] = data
        self._call("write", handle=handle, value=_hex(data))

    def gatts_read(self, handle):
        return self.values.get(handle, b"")

    def gatts_notify(self, conn, handle, data=None):
        if data is None:
            data = self.values.get(handle, b"")
        self._call("notify", conn=conn, handle=handle, value=_hex(bytes(data)))

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self._call("advertise", interval_us=interval_us,
                   adv=_hex(adv_data) if adv_data else None,
                   resp=_hex(resp_data) if resp_data else None)

    def gattc_exchange_mtu(self, conn):
        self._call("exchange_mtu", conn=conn)

    def gap_disconnect(self, conn):
        return self._call("disconnect", conn=conn)
