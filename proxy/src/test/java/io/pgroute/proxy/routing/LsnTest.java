package io.pgroute.proxy.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {

    @Test
    void parsesBothHalvesAsHex() {
        assertThat(Lsn.parse("16/B374D848")).isEqualTo(0x16_B374_D848L);
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.INVALID);
        assertThat(Lsn.parse("0/3000060")).isEqualTo(0x300_0060L);
        assertThat(Lsn.parse("ffffffff/ffffffff")).isEqualTo(-1L);
        assertThat(Lsn.parse("7FFFFFFF/FFFFFFFF")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void formatsAsPostgresPrintsIt() {
        assertThat(Lsn.format(0x16_B374_D848L)).isEqualTo("16/B374D848");
        assertThat(Lsn.format(0)).isEqualTo("0/0");
        assertThat(Lsn.format(0x1_0000_0000L)).isEqualTo("1/0");
    }

    @Test
    void roundTrips() {
        for (long each : new long[] {0, 1, 0xFFFF_FFFFL, 0x1_0000_0000L, 0x16_B374_D848L, Long.MAX_VALUE}) {
            assertThat(Lsn.parse(Lsn.format(each))).isEqualTo(each);
        }
    }

    @Test
    void ordersLikePostgres() {
        assertThat(Lsn.parse("1/0")).isGreaterThan(Lsn.parse("0/FFFFFFFF"));
        assertThat(Lsn.parse("0/10")).isGreaterThan(Lsn.parse("0/F"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "16", "16/", "/B374D848", "16/B374D84G", "123456789/0", "0/123456789", "-1/0",
            "16 /B374D848"})
    void refusesMalformedText(String text) {
        assertThatThrownBy(() -> Lsn.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
