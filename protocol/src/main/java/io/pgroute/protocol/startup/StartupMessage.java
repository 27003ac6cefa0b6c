package io.pgroute.protocol.startup;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.ProtocolException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens a session: the protocol version and the parameters ({@code user}, {@code database}, {@code options},
 * {@code application_name}, any run-time setting, and {@code _pq_.*} protocol options), in the order sent.
 */
public record StartupMessage(int protocolVersion, Map<String, String> parameters) implements StartupPacket {

    public static final int MAJOR_VERSION = 3;
    public static final int LATEST_MINOR_VERSION = 2;
    public static final int PROTOCOL_3_0 = 3 << 16;
    public static final int PROTOCOL_3_2 = 3 << 16 | 2;

    public StartupMessage {
        parameters.forEach((name, value) -> {
            if (name.isEmpty() || value == null) {
                throw new IllegalArgumentException("parameter names must be non-empty and values non-null");
            }
        });
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** A protocol 3.0 startup message with {@code user}, {@code database} (if not null) and the other parameters. */
    public static StartupMessage of(String user, String database, Map<String, String> otherParameters) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", user);
        if (database != null) {
            parameters.put("database", database);
        }
        parameters.putAll(otherParameters);
        return new StartupMessage(PROTOCOL_3_0, parameters);
    }

    public int majorVersion() {
        return protocolVersion >>> 16;
    }

    public int minorVersion() {
        return protocolVersion & 0xFFFF;
    }

    /** The {@code user} parameter, or {@code null} if the client sent none (PostgreSQL rejects that). */
    public String user() {
        return parameters.get("user");
    }

    /** The {@code database} parameter; like PostgreSQL, the user name when absent or empty. */
    public String database() {
        String result = parameters.get("database");
        return result == null || result.isEmpty() ? user() : result;
    }

    /** A parameter by name, or {@code null}. */
    public String parameter(String name) {
        return parameters.get(name);
    }

    // StartupMessage: Int32 len, Int32 version, (String name, String value)*, Byte1 0
    static StartupMessage decodeAfterCode(int protocolVersion, ByteBuf packet) {
        Map<String, String> parameters = new LinkedHashMap<>();
        while (true) {
            String name = PgBuffers.readCString(packet);
            if (name.isEmpty()) {
                break;
            }
            parameters.put(name, PgBuffers.readCString(packet));
        }
        if (packet.isReadable()) {
            throw new ProtocolException("invalid startup packet layout: expected terminator as last byte");
        }
        return new StartupMessage(protocolVersion, parameters);
    }

    // StartupMessage: Int32 len, Int32 version, (String name, String value)*, Byte1 0
    @Override
    public void encodeBody(ByteBuf out) {
        out.writeInt(protocolVersion);
        for (Map.Entry<String, String> each : parameters.entrySet()) {
            PgBuffers.writeCString(out, each.getKey());
            PgBuffers.writeCString(out, each.getValue());
        }
        out.writeByte(0);
    }
}
