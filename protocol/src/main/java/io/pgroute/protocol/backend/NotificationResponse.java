package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** A NOTIFY delivered to a listening session: the notifying process, the channel and the payload. */
public record NotificationResponse(int processId, String channel, String payload) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.NOTIFICATION_RESPONSE;
    }

    // NotificationResponse: Byte1('A') Int32 len, Int32 pid, String channel, String payload
    public static NotificationResponse decode(ByteBuf body) {
        int processId = PgBuffers.readInt(body);
        String channel = PgBuffers.readCString(body);
        String payload = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new NotificationResponse(processId, channel, payload);
    }

    // NotificationResponse: Byte1('A') Int32 len, Int32 pid, String channel, String payload
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(processId);
        PgBuffers.writeCString(out, channel);
        PgBuffers.writeCString(out, payload);
    }
}
