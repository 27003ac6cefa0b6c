package io.pgroute.proxy.cache;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.pgroute.proxy.server.Transport;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharedEventLoopsTest {

    @Test
    void pgroutesLoopsAreLentWhenLettuceWouldUseTheirTransportAndNeverStoppedByIt() throws Exception {
        EventLoopGroup loops = Transport.detect().newGroup(2, "shared-test");
        try {
            Optional<EventLoopGroupProvider> provider = SharedEventLoops.of(loops, 2);
            assertThat(provider).as("Lettuce picks %s", Transports.eventLoopGroupClass().getSimpleName())
                    .isPresent();
            assertThat((Object) provider.get().allocate(Transports.eventLoopGroupClass())).isSameAs(loops);
            assertThat(provider.get().threadPoolSize()).isEqualTo(2);
            assertThat(provider.get().release(loops, 0, 1, TimeUnit.SECONDS).get()).isTrue();
            assertThat(provider.get().shutdown(0, 1, TimeUnit.SECONDS).get()).isTrue();
            assertThat(loops.isShuttingDown()).isFalse();
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void loopsOfAnotherTransportAreNotLent() {
        EventLoopGroup other = Transports.eventLoopGroupClass() == NioEventLoopGroup.class
                ? new DefaultEventLoopGroup(1) : new NioEventLoopGroup(1);
        try {
            assertThat(SharedEventLoops.of(other, 1)).isEmpty();
            assertThat(SharedEventLoops.of(null, 0)).isEmpty();
        } finally {
            other.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void askingForAnotherKindOfLoopIsRefused() {
        EventLoopGroup loops = Transport.detect().newGroup(1, "shared-test");
        try {
            EventLoopGroupProvider provider = SharedEventLoops.of(loops, 1).orElseThrow();
            assertThatThrownBy(() -> provider.allocate(DefaultEventLoopGroup.class))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("DefaultEventLoopGroup");
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
