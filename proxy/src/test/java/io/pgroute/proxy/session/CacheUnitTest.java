package io.pgroute.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Sync;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CacheUnitTest {

    private final Deque<PgFrame> waiting = new ArrayDeque<>();
    private final PreparedStatements statements = new PreparedStatements();

    @AfterEach
    void release() {
        waiting.forEach(PgFrame::release);
    }

    private static PgFrame frame(FrontendMessage message) {
        ByteBuf wire = MessageEncoder.encode(UnpooledByteBufAllocator.DEFAULT, message);
        byte type = wire.readByte();
        wire.skipBytes(4);
        return new PgFrame(type, wire);
    }

    private static Bind bind(String statement) {
        return new Bind("", statement, new short[0], new byte[0][], new short[0]);
    }

    @Test
    void aBatchReadOneMessageAtATimeGivesTheTextsOfReadingItWhole() {
        statements.define("known", "UPDATE t SET a = $1", new int[0]);
        List<FrontendMessage> batch = new ArrayList<>();
        batch.add(new Parse("s1", "INSERT INTO u VALUES ($1)", new int[0]));
        for (int i = 0; i < 300; i++) {
            batch.add(bind(i % 3 == 0 ? "known" : "s1"));
            batch.add(new Execute("", 0));
        }
        batch.add(bind("unknown"));
        batch.add(new Execute("", 0));
        batch.add(Sync.INSTANCE);

        CacheUnit.TextScan scan = new CacheUnit.TextScan();
        List<String> incremental = null;
        for (FrontendMessage each : batch) {
            waiting.addLast(frame(each));
            List<String> texts = CacheUnit.statementTexts(waiting, statements, scan);
            if (each != Sync.INSTANCE) {
                assertThat(texts).as("before the Sync").isNull();
            } else {
                incremental = texts;
            }
        }
        List<String> whole = CacheUnit.statementTexts(waiting, statements);
        assertThat(incremental).isEqualTo(whole).containsExactly("UPDATE t SET a = $1", "INSERT INTO u VALUES ($1)");
        assertThat(CacheUnit.statementTexts(waiting, statements, scan)).as("asked again: the same").isEqualTo(whole);
    }

    @Test
    void aNewHeadStartsTheScanAfresh() {
        CacheUnit.TextScan scan = new CacheUnit.TextScan();
        waiting.addLast(frame(new Parse("", "SELECT 1", new int[0])));
        assertThat(CacheUnit.statementTexts(waiting, statements, scan)).isNull();
        waiting.pollFirst().release();  // sent
        waiting.addLast(frame(new Parse("", "DELETE FROM t", new int[0])));
        waiting.addLast(frame(bind("")));
        waiting.addLast(frame(new Execute("", 0)));
        waiting.addLast(frame(Sync.INSTANCE));
        assertThat(CacheUnit.statementTexts(waiting, statements, scan)).containsExactly("DELETE FROM t");
    }

    /**
     * Only what a unit executes runs: a write that is only parsed (asyncpg's and psycopg's prepare), described or
     * bound writes nothing, so nothing is begun for it; each Execute counts its portal's statement, whether parsed in
     * the unit or before, with the text it had when bound.
     */
    @Test
    void onlyTheStatementsOfExecutedPortalsCount() {
        statements.define("before", "UPDATE t SET a = $1", new int[0]);
        assertThat(texts(new Parse("w", "INSERT INTO u VALUES (1)", new int[0]),
                new io.pgroute.protocol.frontend.Describe(io.pgroute.protocol.frontend.Describe.STATEMENT, "w"),
                Sync.INSTANCE)).as("a prepare").isEmpty();
        assertThat(texts(new Parse("", "DELETE FROM t", new int[0]), bind(""), Sync.INSTANCE)).as("bound only")
                .isEmpty();
        assertThat(texts(bind("before"), new Execute("", 0), Sync.INSTANCE)).containsExactly("UPDATE t SET a = $1");
        statements.define("", "DELETE FROM v", new int[0]);  // lib/pq: the unnamed statement parsed in a unit before
        assertThat(texts(bind(""), new Execute("", 0), Sync.INSTANCE)).containsExactly("DELETE FROM v");
        assertThat(texts(new Parse("", "DELETE FROM t", new int[0]), bind(""),
                new Parse("", "INSERT INTO u VALUES (2)", new int[0]), new Execute("", 0), Sync.INSTANCE))
                .as("the portal keeps the text it was bound to").containsExactly("DELETE FROM t");
        assertThat(texts(new Bind("p", "", new short[0], new byte[0][], new short[0]), new Execute("q", 0),
                Sync.INSTANCE)).as("a portal bound in an earlier unit").isEmpty();
        assertThat(texts(new Parse("", "DELETE FROM t", new int[0]), bind(""), new Execute("", 10),
                new Execute("", 10), Sync.INSTANCE)).as("executed twice, listed once").containsExactly("DELETE FROM t");
    }

    private List<String> texts(FrontendMessage... unit) {
        waiting.forEach(PgFrame::release);
        waiting.clear();
        for (FrontendMessage each : unit) {
            waiting.addLast(frame(each));
        }
        return CacheUnit.statementTexts(waiting, statements);
    }

    /**
     * The gate skips inspecting a unit that awaits its end; that must never skip a unit that could be looked up or
     * whose statements could be read.
     */
    @Test
    void aUnitAwaitsItsEndOnlyWhileNeitherInspectionNorItsTextsCouldConclude() {
        statements.define("known", "SELECT * FROM t WHERE id = $1", new int[] {23});
        List<FrontendMessage> unit = List.of(bind("known"), new io.pgroute.protocol.frontend.Describe(
                io.pgroute.protocol.frontend.Describe.PORTAL, ""), new Execute("", 0));
        for (FrontendMessage each : unit) {
            waiting.addLast(frame(each));
            assertThat(CacheUnit.awaitsItsEnd(waiting)).as("after %s", each).isTrue();
            assertThat(CacheUnit.of(waiting, statements).candidate()).isFalse();
            assertThat(CacheUnit.statementTexts(waiting, statements)).isNull();
        }
        waiting.addLast(frame(Sync.INSTANCE));
        assertThat(CacheUnit.awaitsItsEnd(waiting)).isFalse();
        assertThat(CacheUnit.of(waiting, statements).candidate()).isTrue();
        assertThat(CacheUnit.of(waiting, statements).frames()).isEqualTo(4);
    }

    @Test
    void aUnitLongerThanAnyCandidateOrWithAnotherMessageIsLeftToTheFullInspection() {
        for (int i = 0; i < 8; i++) {
            waiting.addLast(frame(new Parse("", "SELECT " + i, new int[0])));
        }
        assertThat(CacheUnit.awaitsItsEnd(waiting)).isTrue();
        waiting.addLast(frame(new Parse("", "SELECT 8", new int[0])));
        assertThat(CacheUnit.awaitsItsEnd(waiting)).as("nine messages").isFalse();
        waiting.forEach(PgFrame::release);
        waiting.clear();
        waiting.addLast(frame(new io.pgroute.protocol.frontend.Query("SELECT 1")));
        assertThat(CacheUnit.awaitsItsEnd(waiting)).as("a Query ends its unit").isFalse();
    }
}
