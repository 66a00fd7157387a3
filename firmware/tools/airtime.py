"""Print bytes on air per sample and samples per notification for a few ATT MTUs (CPython).

    python firmware/tools/airtime.py

Per notification on air: the data packet + ATT notification header (3) + L2CAP header (4) + LL
data header (2) + preamble (1) + access address (4) + CRC (3); no encryption MIC (the link is not
paired). MTU 247 needs LE Data Length Extension (251-byte LL payloads) to go in one LL packet;
otherwise the controller fragments it into 27-byte LL payloads, each with its own 10 bytes of
LL framing, which the second column shows.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import packet  # noqa: E402

LL_FRAMING = 1 + 4 + 2 + 3      # preamble, access address, LL header, CRC
L2CAP_ATT = 4 + 3


def on_air(mtu, dle=True):
    n = packet.samples_per_packet(mtu)
    sdu = packet.packet_len(n) + L2CAP_ATT
    ll_payload = 251 if dle else 27
    frags = -(-sdu // ll_payload)
    return n, (sdu + frags * LL_FRAMING) / n


if __name__ == "__main__":
    print("%6s %8s %22s %24s" % ("MTU", "samples", "air bytes/sample (DLE)", "air bytes/sample (no DLE)"))
    for mtu in (23, 65, 185, 247):
        n, with_dle = on_air(mtu, True)
        _, without = on_air(mtu, False)
        print("%6d %8d %22.2f %24.2f" % (mtu, n, with_dle, without))
    n, b = on_air(247)
    print("at 208 Hz and MTU 247: %.1f notifications/s, %.0f bytes/s on air" % (208.33 / n, 208.33 * b))
