package io.pgroute.proxy.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.config.ConfigLoader;
import io.pgroute.config.ProxyConfig;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.CommandComplete;
import io.pgroute.protocol.backend.DataRow;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.RowDescription;
import io.pgroute.protocol.codec.FrameDecoder;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.codec.PgFrameEncoder;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.protocol.frontend.Terminate;
import io.pgroute.proxy.backend.BackendConnector;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPools;
import io.pgroute.proxy.server.SessionRegistry;
import io.pgroute.proxy.server.Transport;
import io.pgroute.proxy.session.CancelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The console's protocol handling on an EmbeddedChannel: simple and extended queries, errors, skip to Sync. */
class AdminSessionTest {

    private EmbeddedChannel channel;
    private final List<Runnable> shutdowns = new ArrayList<>();

    /** One message the console sent: its type and body bytes. */
    private record Sent(BackendType type, byte[] body) {

        <T> T decode(java.util.function.Function<ByteBuf, T> decoder) {
            return decoder.apply(Unpooled.wrappedBuffer(body));
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        ProxyConfig config = ConfigLoader.parse("users:\n  app: { password: s3cret }\n  admin: { password: adminpw, "
                + "admin: true }\ndatabases:\n  app:\n    primary: { host: 127.0.0.1, port: 1 }\n", "test.yaml",
                name -> null);
        CancelRegistry keys = new CancelRegistry();
        BackendConnector connector = new BackendConnector(new Transport(false), Duration.ofSeconds(1));
        BackendPools pools = new BackendPools(connector, new BackendPool.PoolSettings(1, Duration.ofSeconds(1),
                Duration.ofSeconds(10), Duration.ofMinutes(1)));
        AdminCommands commands = new AdminCommands(config, Map.of(), pools, new SessionRegistry(keys, connector),
                null, () -> shutdowns.add(() -> { }));
        channel = new EmbeddedChannel();
        channel.pipeline().addLast("frameDecoder", new FrameDecoder(1 << 20));
        channel.pipeline().addLast("encoder", MessageEncoder.INSTANCE);
        channel.pipeline().addLast("frameEncoder", PgFrameEncoder.INSTANCE);
        channel.pipeline().addLast("admin", new AdminFrameHandler(new AdminSession(channel, commands, "test")));
    }

    @AfterEach
    void tearDown() {
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private void send(Object... messages) {
        ByteBuf all = Unpooled.buffer();
        for (Object each : messages) {
            MessageEncoder.encodeInto(each, all);
        }
        channel.writeInbound(all);
    }

    /** Sends the messages one byte at a time. */
    private void sendBytewise(Object... messages) {
        ByteBuf all = Unpooled.buffer();
        for (Object each : messages) {
            MessageEncoder.encodeInto(each, all);
        }
        while (all.isReadable()) {
            channel.writeInbound(all.readRetainedSlice(1));
        }
        all.release();
    }

    private List<Sent> received() {
        List<Sent> result = new ArrayList<>();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            try {
                while (out.isReadable()) {
                    byte type = out.readByte();
                    byte[] body = new byte[out.readInt() - 4];
                    out.readBytes(body);
                    result.add(new Sent(BackendType.of(type), body));
                }
            } finally {
                out.release();
            }
        }
        return result;
    }

    private static List<BackendType> types(List<Sent> sent) {
        return sent.stream().map(Sent::type).toList();
    }

    private static String text(DataRow row, int column) {
        return new String(row.values()[column], StandardCharsets.UTF_8);
    }

    @Test
    void answersASimpleQueryWithTypedColumns() {
        send(new Query("show help;"));
        List<Sent> sent = received();
        assertThat(sent.get(0).type()).isEqualTo(BackendType.ROW_DESCRIPTION);
        RowDescription description = sent.get(0).decode(RowDescription::decode);
        assertThat(description.fields()).extracting(RowDescription.Field::name).containsExactly("command",
                "description");
        assertThat(description.fields()).allMatch(each -> each.typeOid() == 25 && each.format() == 0);
        assertThat(sent.get(1).type()).isEqualTo(BackendType.DATA_ROW);
        assertThat(text(sent.get(1).decode(DataRow::decode), 0)).isEqualTo("SHOW HELP");
        assertThat(sent.get(sent.size() - 2).decode(CommandComplete::decode).tag()).isEqualTo("SHOW");
        assertThat(sent.get(sent.size() - 1).type()).isEqualTo(BackendType.READY_FOR_QUERY);
    }

    /** psycopg (not in autocommit) wraps its commands in BEGIN … COMMIT: answered, with the status in between. */
    @Test
    void answersATransactionBlockWithItsStatus() {
        List<Byte> statuses = new ArrayList<>();
        for (String each : List.of("BEGIN", "SHOW VERSION", "COMMIT", "SHOW VERSION", "START TRANSACTION",
                "ROLLBACK")) {
            send(new Query(each));
            List<Sent> sent = received();
            assertThat(sent.get(sent.size() - 1).type()).isEqualTo(BackendType.READY_FOR_QUERY);
            statuses.add(sent.get(sent.size() - 1).body()[0]);
            if (!each.startsWith("SHOW")) {
                assertThat(sent.get(0).decode(CommandComplete::decode).tag()).isEqualTo(
                        each.equals("START TRANSACTION") ? "BEGIN" : each);
            }
        }
        assertThat(statuses).containsExactly((byte) 'T', (byte) 'T', (byte) 'I', (byte) 'I', (byte) 'T', (byte) 'I');
    }

    @Test
    void answersAnEmptyQuery() {
        send(new Query("  ;"));
        assertThat(types(received())).containsExactly(BackendType.EMPTY_QUERY_RESPONSE, BackendType.READY_FOR_QUERY);
    }

    @Test
    void refusesAnUnknownCommandWithAHintAndKeepsServing() {
        send(new Query("SHOW NONSENSE"));
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.ERROR_RESPONSE, BackendType.READY_FOR_QUERY);
        ErrorResponse error = sent.get(0).decode(ErrorResponse::decode);
        assertThat(error.sqlState()).isEqualTo(SqlState.SYNTAX_ERROR);
        assertThat(error.severity()).isEqualTo("ERROR");
        assertThat(error.hint()).contains("SHOW HELP");
        send(new Query("SHOW VERSION"));
        assertThat(types(received())).containsExactly(BackendType.ROW_DESCRIPTION, BackendType.DATA_ROW,
                BackendType.COMMAND_COMPLETE, BackendType.READY_FOR_QUERY);
    }

    @Test
    void answersTheExtendedProtocolLikePgjdbcUsesIt() {
        sendBytewise(new Parse("", "SHOW VERSION", new int[0]),
                new Bind("", "", new short[0], new byte[0][], new short[0]),
                Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.PARSE_COMPLETE, BackendType.BIND_COMPLETE,
                BackendType.ROW_DESCRIPTION, BackendType.DATA_ROW, BackendType.COMMAND_COMPLETE,
                BackendType.READY_FOR_QUERY);
        assertThat(text(sent.get(3).decode(DataRow::decode), 0)).startsWith("pgroute ");
    }

    @Test
    void describesANamedStatementAndSuspendsAPortalAtMaxRows() {
        send(new Parse("s1", "SHOW HELP", new int[0]), Describe.statement("s1"), Sync.INSTANCE);
        assertThat(types(received())).containsExactly(BackendType.PARSE_COMPLETE,
                BackendType.PARAMETER_DESCRIPTION, BackendType.ROW_DESCRIPTION, BackendType.READY_FOR_QUERY);
        send(new Bind("p1", "s1", new short[0], new byte[0][], new short[] {0}), new Execute("p1", 2),
                new Execute("p1", 0), Close.portal("p1"), Close.statement("s1"), Sync.INSTANCE);
        List<BackendType> types = types(received());
        assertThat(types.subList(0, 4)).containsExactly(BackendType.BIND_COMPLETE, BackendType.DATA_ROW,
                BackendType.DATA_ROW, BackendType.PORTAL_SUSPENDED);
        assertThat(types.subList(types.size() - 4, types.size())).containsExactly(BackendType.COMMAND_COMPLETE,
                BackendType.CLOSE_COMPLETE, BackendType.CLOSE_COMPLETE, BackendType.READY_FOR_QUERY);
    }

    @Test
    void describesACommandWithoutRowsAsNoData() {
        send(new Parse("", "SET extra_float_digits = 3", new int[0]),
                new Bind("", "", new short[0], new byte[0][], new short[0]), Describe.portal(""),
                new Execute("", 0), Sync.INSTANCE);
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.PARSE_COMPLETE, BackendType.BIND_COMPLETE,
                BackendType.NO_DATA, BackendType.COMMAND_COMPLETE, BackendType.READY_FOR_QUERY);
    }

    @Test
    void answersInBinaryWhenBindAsksForIt() {
        send(new Parse("", "SHOW CACHE", new int[0]), new Bind("", "", new short[0], new byte[0][], new short[] {1}),
                Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.PARSE_COMPLETE, BackendType.BIND_COMPLETE,
                BackendType.ROW_DESCRIPTION, BackendType.DATA_ROW, BackendType.COMMAND_COMPLETE,
                BackendType.READY_FOR_QUERY);
        assertThat(sent.get(2).decode(RowDescription::decode).fields()).allMatch(each -> each.format() == 1);
        byte[][] values = sent.get(3).decode(DataRow::decode).values();
        assertThat(values[0]).containsExactly(0);  // enabled: false
        assertThat(values[1]).containsExactly(0, 0, 0, 0, 0, 0, 0, 0);  // hits: int8 0
    }

    @Test
    void refusesAnUnknownResultFormatAndSkipsToSync() {
        send(new Parse("", "SHOW HELP", new int[0]), new Bind("", "", new short[0], new byte[0][], new short[] {2}),
                Describe.portal(""), new Execute("", 0), Sync.INSTANCE);
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.PARSE_COMPLETE, BackendType.ERROR_RESPONSE,
                BackendType.READY_FOR_QUERY);
        assertThat(sent.get(1).decode(ErrorResponse::decode).sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
    }

    @Test
    void reportsAParseErrorAndSkipsToSync() {
        send(new Parse("", "SHOW NONSENSE", new int[0]), new Bind("", "", new short[0], new byte[0][], new short[0]),
                new Execute("", 0), Sync.INSTANCE, new Query("SHOW VERSION"));
        assertThat(types(received())).containsExactly(BackendType.ERROR_RESPONSE, BackendType.READY_FOR_QUERY,
                BackendType.ROW_DESCRIPTION, BackendType.DATA_ROW, BackendType.COMMAND_COMPLETE,
                BackendType.READY_FOR_QUERY);
    }

    @Test
    void answersCacheCommandsWhenTheCacheIsOff() {
        send(new Query("SHOW CACHE"), new Query("CACHE INVALIDATE ALL"));
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.ROW_DESCRIPTION, BackendType.DATA_ROW,
                BackendType.COMMAND_COMPLETE, BackendType.READY_FOR_QUERY, BackendType.ERROR_RESPONSE,
                BackendType.READY_FOR_QUERY);
        assertThat(text(sent.get(1).decode(DataRow::decode), 0)).isEqualTo("f");
        assertThat(sent.get(4).decode(ErrorResponse::decode).sqlState()).isEqualTo("55000");
    }

    @Test
    void refusesAnUnknownClientId() {
        send(new Query("KILL CLIENT 12345"));
        List<Sent> sent = received();
        assertThat(sent.get(0).decode(ErrorResponse::decode).sqlState()).isEqualTo(SqlState.UNDEFINED_OBJECT);
    }

    @Test
    void answersShutdownBeforeStopping() {
        send(new Query("SHUTDOWN"));
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.COMMAND_COMPLETE, BackendType.READY_FOR_QUERY);
        assertThat(sent.get(0).decode(CommandComplete::decode).tag()).isEqualTo("SHUTDOWN");
    }

    @Test
    void closesOnAnUnknownMessageType() {
        ByteBuf frame = Unpooled.buffer().writeByte('z').writeInt(4);
        channel.writeInbound(frame);
        List<Sent> sent = received();
        assertThat(types(sent)).containsExactly(BackendType.ERROR_RESPONSE);
        ErrorResponse error = sent.get(0).decode(ErrorResponse::decode);
        assertThat(error.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
        assertThat(error.isFatal()).isTrue();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void closesOnTerminate() {
        send(Terminate.INSTANCE);
        assertThat(channel.isOpen()).isFalse();
    }
}
