package io.pgroute.proxy.frontend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.codec.PgFrameEncoder;
import io.pgroute.protocol.codec.StartupPacketDecoder;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.NegotiateProtocolVersion;
import io.pgroute.protocol.startup.GSSENCRequest;
import io.pgroute.protocol.startup.SSLRequest;
import io.pgroute.protocol.startup.StartupMessage;
import io.pgroute.proxy.backend.BackendConnector;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.server.ProxyContext;
import io.pgroute.proxy.server.SessionRegistry;
import io.pgroute.proxy.server.Transport;
import io.pgroute.proxy.session.CancelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The startup phase, event by event, on an EmbeddedChannel with the real pipeline handlers. */
class ClientStartupHandlerTest {

    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users:\n  app: { password: app }\ndatabases:\n  app:\n"
                + "    primary: { host: 127.0.0.1, port: 1 }\n", "test.yaml", name -> null);
        CancelRegistry keys = new CancelRegistry();
        BackendConnector connector = new BackendConnector(new Transport(false), Duration.ofSeconds(1));
        BackendPools pools = new BackendPools(connector, new BackendPool.PoolSettings(1, Duration.ofSeconds(1),
                Duration.ofSeconds(10), Duration.ofMinutes(1)));
        ProxyContext context = new ProxyContext(config, pools, null, java.util.Map.of(), keys, new SessionRegistry(keys, connector), null,
                null, new AtomicLong());
        channel = new EmbeddedChannel();
        channel.pipeline().addLast("startupDecoder", new StartupPacketDecoder());
        channel.pipeline().addLast("encoder", MessageEncoder.INSTANCE);
        channel.pipeline().addLast("frameEncoder", PgFrameEncoder.INSTANCE);
        channel.pipeline().addLast("startup", new ClientStartupHandler(context));
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Test
    void refusesSslWithNWhenTlsIsOff() {
        channel.writeInbound(MessageEncoder.encode(channel.alloc(), SSLRequest.INSTANCE));
        assertThat(readByte()).isEqualTo((byte) 'N');
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void refusesGssEncryptionWithNAndKeepsTheConnection() {
        channel.writeInbound(MessageEncoder.encode(channel.alloc(), new GSSENCRequest()));
        assertThat(readByte()).isEqualTo((byte) 'N');
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void closesWhenDataFollowsSslRequestInTheSamePacket() {
        ByteBuf both = Unpooled.buffer();
        MessageEncoder.encodeInto(SSLRequest.INSTANCE, both);
        MessageEncoder.encodeInto(startup(3, 0, Map.of("user", "app")), both);
        channel.writeInbound(both);
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void refusesProtocolFourWith0A000() {
        channel.writeInbound(MessageEncoder.encode(channel.alloc(), startup(4, 0, Map.of("user", "app"))));
        ErrorResponse error = ErrorResponse.decode(readFrameBody(BackendType.ERROR_RESPONSE));
        assertThat(error.sqlState()).isEqualTo("0A000");
        assertThat(error.message()).isEqualTo("unsupported frontend protocol 4.0: server supports 3.0 to 3.2");
    }

    @Test
    void refusesAStartupWithoutUserWith28000() {
        channel.writeInbound(MessageEncoder.encode(channel.alloc(), startup(3, 0, Map.of("database", "app"))));
        ErrorResponse error = ErrorResponse.decode(readFrameBody(BackendType.ERROR_RESPONSE));
        assertThat(error.sqlState()).isEqualTo("28000");
    }

    @Test
    void negotiatesAGreasedMinorVersionOnceThenAuthenticates() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "app");
        params.put("_pq_.test_protocol_negotiation", "1");
        channel.writeInbound(MessageEncoder.encode(channel.alloc(), startup(3, 9999, params)));
        ByteBuf body = readFrameBody(BackendType.NEGOTIATE_PROTOCOL_VERSION);
        assertThat(body.getInt(body.readerIndex())).as("3.2, whole, as PostgreSQL 18 sends it").isEqualTo(0x00030002);
        NegotiateProtocolVersion negotiation = NegotiateProtocolVersion.decode(body);
        assertThat(negotiation.newestMinor()).isEqualTo(2);
        assertThat(negotiation.unrecognizedOptions()).containsExactly("_pq_.test_protocol_negotiation");
        ByteBuf auth = readFrameBody(BackendType.AUTHENTICATION);
        assertThat(auth.readInt()).as("AuthenticationSASL").isEqualTo(10);
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void readsTheReplicationParameterAsPostgresqlDoes() {
        for (String walsender : new String[] {"database", "true", "TRUE", "t", "tr", "yes", "y", "on", "ON", "1"}) {
            assertThat(ClientStartupHandler.replicationRequested(walsender)).as(walsender).isTrue();
        }
        for (String plain : new String[] {"false", "f", "fal", "no", "n", "NO", "off", "Off", "0"}) {
            assertThat(ClientStartupHandler.replicationRequested(plain)).as(plain).isFalse();
        }
        for (String invalid : new String[] {"", "o", "of", "offf", "truex", "2", "Database", " true", "maybe"}) {
            assertThat(ClientStartupHandler.replicationRequested(invalid)).as(invalid).isNull();
        }
    }

    @Test
    void refusesAnInvalidReplicationValueWith22023() {
        channel.writeInbound(MessageEncoder.encode(channel.alloc(),
                startup(3, 0, Map.of("user", "app", "replication", "maybe"))));
        assertThat(ErrorResponse.decode(readFrameBody(BackendType.ERROR_RESPONSE)).sqlState()).isEqualTo("22023");
    }

    @Test
    void logsInAClientThatSaysItIsNotAReplicationConnection() {
        channel.writeInbound(MessageEncoder.encode(channel.alloc(),
                startup(3, 0, Map.of("user", "app", "replication", "no"))));
        ByteBuf auth = readFrameBody(BackendType.AUTHENTICATION);
        assertThat(auth.readInt()).as("AuthenticationSASL").isEqualTo(10);
    }

    private static StartupMessage startup(int major, int minor, Map<String, String> params) {
        return new StartupMessage((major << 16) | minor, params);
    }

    private byte readByte() {
        ByteBuf out = channel.readOutbound();
        try {
            assertThat(out.readableBytes()).isEqualTo(1);
            return out.readByte();
        } finally {
            out.release();
        }
    }

    /** Reads one outbound message, checks its type and returns its body (heap copy, nothing to release). */
    private ByteBuf readFrameBody(BackendType expected) {
        ByteBuf out = channel.readOutbound();
        assertThat(out).as("an outbound message").isNotNull();
        try {
            assertThat(out.readByte()).isEqualTo(expected.code());
            int length = out.readInt();
            return Unpooled.copiedBuffer(out.readSlice(length - 4));
        } finally {
            out.release();
        }
    }
}
