package io.pgroute.protocol.backend;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgBuffers;

/** Reports the current value of a run-time parameter the client should know about (at startup and on change). */
public record ParameterStatus(String name, String value) implements BackendMessage {

    @Override
    public BackendType type() {
        return BackendType.PARAMETER_STATUS;
    }

    // ParameterStatus: Byte1('S') Int32 len, String name, String value
    public static ParameterStatus decode(ByteBuf body) {
        String name = PgBuffers.readCString(body);
        String value = PgBuffers.readCString(body);
        PgBuffers.requireEnd(body);
        return new ParameterStatus(name, value);
    }

    // ParameterStatus: Byte1('S') Int32 len, String name, String value
    @Override
    public void encodeBody(ByteBuf out) {
        PgBuffers.writeCString(out, name);
        PgBuffers.writeCString(out, value);
    }
}
