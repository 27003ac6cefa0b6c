package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Ends an Execute that reached its row limit before the end of the portal. */
public record PortalSuspended() implements BackendMessage {

    public static final PortalSuspended INSTANCE = new PortalSuspended();

    @Override
    public BackendType type() {
        return BackendType.PORTAL_SUSPENDED;
    }

    // PortalSuspended: Byte1('s') Int32 len = 4
    public static PortalSuspended decode(ByteBuf body) {
        PgBuffers.requireEnd(body);
        return INSTANCE;
    }

    // PortalSuspended: Byte1('s') Int32 len = 4
    @Override
    public void encodeBody(ByteBuf out) {
        // no body
    }
}
