"""The Dynamixel side of the emulator: answers Protocol 2.0 instruction packets."""

from __future__ import annotations

from collections.abc import Iterable

from lr_motors.dynamixel import protocol as p
from lr_motors.emulator.servo import VirtualServo

Reply = tuple[VirtualServo, bytes]


def _error(servo: VirtualServo, code: int = 0) -> int:
    return code | (p.ALERT if servo.faults.error else 0)


def status(servo: VirtualServo, params: bytes = b"", code: int = 0, motor_id: int | None = None):
    """A status packet from ``servo`` (alert bit set when hardware errors are injected)."""
    if servo.faults.error:
        servo.set("Hardware_Error_Status", servo.faults.error)
    return p.status_packet(servo.id if motor_id is None else motor_id, _error(servo, code), params)


def corrupt(packet: bytes) -> bytes:
    """The same packet with a wrong CRC."""
    return packet[:-1] + bytes(((packet[-1] + 1) & 0xFF,))


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def handle(request: p.Packet, servos: Iterable[VirtualServo]) -> list[Reply]:
    """Apply ``request`` to the servos that hear it; return their replies in bus order."""
    inst, params = request.instruction, request.params
    broadcast = request.id == p.BROADCAST_ID
    by_id: dict[int, VirtualServo] = {}
    for servo in servos:
        by_id.setdefault(servo.id, servo)

    def ping_reply(s: VirtualServo) -> Reply:
        model = s.get("Model_Number").to_bytes(2, "little")
        return s, status(s, model + bytes((s.get("Firmware_Version"),)))

    if inst == p.Instruction.PING:
        if broadcast:
            return [ping_reply(s) for _, s in sorted(by_id.items())]
        return [ping_reply(by_id[request.id])] if request.id in by_id else []
    if inst == p.Instruction.SYNC_READ and broadcast and len(params) >= 4:
        addr, size = _u16(params, 0), _u16(params, 2)
        return [
            (by_id[i], status(by_id[i], by_id[i].read(addr, size)))
            for i in params[4:]
            if i in by_id
        ]
    if inst == p.Instruction.SYNC_WRITE and broadcast and len(params) >= 4:
        addr, size = _u16(params, 0), _u16(params, 2)
        for k in range(4, len(params) - size, size + 1):
            servo = by_id.get(params[k])
            if servo is not None:
                servo.write(addr, params[k + 1 : k + 1 + size])
        return []
    if inst == p.Instruction.BULK_READ and broadcast:
        replies = []
        for k in range(0, len(params) - 4, 5):
            servo = by_id.get(params[k])
            if servo is not None:
                addr, size = _u16(params, k + 1), _u16(params, k + 3)
                replies.append((servo, status(servo, servo.read(addr, size))))
        return replies
    if inst == p.Instruction.BULK_WRITE and broadcast:
        k = 0
        while k + 5 <= len(params):
            servo = by_id.get(params[k])
            addr, size = _u16(params, k + 1), _u16(params, k + 3)
            if servo is not None:
                servo.write(addr, params[k + 5 : k + 5 + size])
            k += 5 + size
        return []
    targets = (
        list(by_id.values()) if broadcast else [by_id[request.id]] if request.id in by_id else []
    )
    replies: list[Reply] = []
    for servo in targets:
        old_id = servo.id
        level = servo.get("Status_Return_Level")
        data, code = b"", 0
        if inst == p.Instruction.READ and len(params) == 4:
            data = servo.read(_u16(params, 0), _u16(params, 2))
        elif inst == p.Instruction.WRITE and len(params) >= 3:
            code = servo.write(_u16(params, 0), params[2:])
        elif inst == p.Instruction.REG_WRITE and len(params) >= 3:
            servo.pending = (_u16(params, 0), params[2:])
            servo.set("Registered_Instruction", 1)
        elif inst == p.Instruction.ACTION:
            if servo.pending is not None:
                code = servo.write(*servo.pending)
                servo.pending = None
                servo.set("Registered_Instruction", 0)
        elif inst == p.Instruction.REBOOT:
            servo.set("Torque_Enable", 0)
        else:
            code = p.StatusErrorCode.INSTRUCTION
        answer = not broadcast and (level == 2 or (level == 1 and inst == p.Instruction.READ))
        if answer:
            replies.append((servo, status(servo, data, code, motor_id=old_id)))
    return replies
