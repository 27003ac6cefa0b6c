package io.pgroute.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AddressRangeTest {

    @Test
    void matchesNetworksAsPgHbaConfDoes() throws Exception {
        AddressRange lan = AddressRange.parse("10.1.0.0/16").orElseThrow();
        assertThat(lan.contains(InetAddress.getByName("10.1.200.3"))).isTrue();
        assertThat(lan.contains(InetAddress.getByName("10.2.0.1"))).isFalse();
        assertThat(lan.contains(InetAddress.getByName("::ffff:10.1.2.3"))).as("IPv4 mapped into IPv6").isTrue();
        assertThat(lan.contains(null)).as("the Unix-domain socket").isFalse();
        assertThat(lan).hasToString("10.1.0.0/16");

        AddressRange host = AddressRange.parse("127.0.0.1").orElseThrow();
        assertThat(host.prefix()).isEqualTo(32);
        assertThat(host.contains(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(host.contains(InetAddress.getByName("127.0.0.2"))).isFalse();

        AddressRange odd = AddressRange.parse("192.168.1.130/25").orElseThrow();
        assertThat(odd).hasToString("192.168.1.128/25");
        assertThat(odd.contains(InetAddress.getByName("192.168.1.255"))).isTrue();
        assertThat(odd.contains(InetAddress.getByName("192.168.1.127"))).isFalse();

        AddressRange v6 = AddressRange.parse("fd00::/8").orElseThrow();
        assertThat(v6.contains(InetAddress.getByName("fd12::1"))).isTrue();
        assertThat(v6.contains(InetAddress.getByName("10.0.0.1"))).isFalse();
        assertThat(AddressRange.parse("0.0.0.0/0").orElseThrow().contains(InetAddress.getByName("8.8.8.8"))).isTrue();

        assertThat(AddressRange.parse("LOCAL")).contains(AddressRange.LOCAL);
        assertThat(AddressRange.LOCAL.contains(null)).isTrue();
        assertThat(AddressRange.LOCAL.contains(InetAddress.getByName("127.0.0.1"))).isFalse();
    }

    @Test
    void refusesWhatIsNotAnAddress() {
        for (String each : new String[] {"db.example.com", "10.0.0.0/33", "::1/129", "10.0.0.0/-1", "10.0.0.0/x",
                "", "/8", "all"}) {
            assertThat(AddressRange.parse(each)).as(each).isEmpty();
        }
    }
}
