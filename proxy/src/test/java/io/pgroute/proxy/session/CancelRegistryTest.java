package io.pgroute.proxy.session;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CancelRegistryTest {

    @Test
    void keysOfAnInstanceWithPeersCarryItsIdAndStayPositive() {
        for (int instance : new int[] {1, 2, 300, 16383}) {
            CancelRegistry registry = new CancelRegistry(instance);
            for (int i = 0; i < 1000; i++) {
                CancelRegistry.Key key = registry.mint(4);
                assertThat(key.processId()).isPositive();
                assertThat(CancelRegistry.instanceOf(key.processId())).isEqualTo(instance);
                assertThat(key.secret()).hasSize(4);
            }
        }
    }

    @Test
    void keysWithoutPeersAreDistinctAndPositive() {
        CancelRegistry registry = new CancelRegistry();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            CancelRegistry.Key key = registry.mint(32);
            assertThat(key.processId()).isPositive();
            assertThat(seen.add(key.processId())).isTrue();
            assertThat(key.secret()).hasSize(32);
        }
        assertThat(registry.find(seen.iterator().next(), new byte[32])).as("never registered").isNull();
    }

    @Test
    void refusesAnInstanceIdThatDoesNotFit() {
        assertThatThrownBy(() -> new CancelRegistry(16384)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CancelRegistry(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
