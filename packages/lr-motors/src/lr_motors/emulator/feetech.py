"""The Feetech side of the emulator: answers SCS/STS instruction packets like real servos."""

from __future__ import annotations

from collections.abc import Iterable

from lr_motors.emulator.servo import VirtualServo
from lr_motors.feetech import protocol as p

Reply = tuple[VirtualServo, bytes]


def status(servo: VirtualServo, params: bytes = b"", motor_id: int | None = None) -> bytes:
    """A status packet from ``servo`` with its injected error bits."""
    return p.status_packet(servo.id if motor_id is None else motor_id, servo.faults.error, params)


def corrupt(packet: bytes) -> bytes:
    """The same packet with a wrong checksum."""
    return packet[:-1] + bytes(((packet[-1] + 1) & 0xFF,))


def handle(request: p.Packet, servos: Iterable[VirtualServo]) -> list[Reply]:
    """Apply ``request`` to the servos that hear it; return their replies in bus order.

    ``servos`` are the servos listening at the client's baud rate. Broadcast instructions get no
    reply except PING (every servo answers) and SYNC_READ (listed ids answer in list order).
    """
    inst, params = request.code, request.params
    broadcast = request.id == p.BROADCAST_ID
    by_id: dict[int, VirtualServo] = {}
    for servo in servos:
        by_id.setdefault(servo.id, servo)
    if inst == p.Instruction.SYNC_READ:
        if len(params) < 2:
            return []
        addr, size = params[0], params[1]
        return [
            (by_id[i], status(by_id[i], by_id[i].read(addr, size)))
            for i in params[2:]
            if i in by_id
        ]
    if inst == p.Instruction.SYNC_WRITE:
        if len(params) < 2:
            return []
        addr, size = params[0], params[1]
        for k in range(2, len(params) - size, size + 1):
            servo = by_id.get(params[k])
            if servo is not None:
                servo.write(addr, params[k + 1 : k + 1 + size])
        return []
    if broadcast:
        if inst == p.Instruction.PING:
            return [(s, status(s)) for _, s in sorted(by_id.items())]
        targets = list(by_id.values())
    else:
        targets = [by_id[request.id]] if request.id in by_id else []
    replies: list[Reply] = []
    for servo in targets:
        old_id = servo.id
        answer = not broadcast
        quiet = servo.get("Response_Status_Level") == 0
        if inst == p.Instruction.PING:
            data = b""
        elif inst == p.Instruction.READ and len(params) == 2:
            data = servo.read(params[0], params[1])
        elif inst == p.Instruction.WRITE and len(params) >= 2:
            servo.write(params[0], params[1:])
            data, answer = b"", answer and not quiet
        elif inst == p.Instruction.REG_WRITE and len(params) >= 2:
            servo.pending = (params[0], params[1:])
            data, answer = b"", answer and not quiet
        elif inst == p.Instruction.ACTION:
            if servo.pending is not None:
                servo.write(*servo.pending)
                servo.pending = None
            data, answer = b"", answer and not quiet
        else:
            continue  # unknown or malformed instruction: a real servo stays silent
        if answer:
            replies.append((servo, status(servo, data, motor_id=old_id)))
    return replies
