package io.pgroute.proxy.cache;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CallTimerTest {

    private static final Duration TIMEOUT = Duration.ofMillis(30);

    private final EventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventLoopGroup elsewhere = new DefaultEventLoopGroup(1);
    private final CallTimer timer = new CallTimer(loops, elsewhere);

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        elsewhere.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aCallThatNeverAnswersFailsWithATimeoutOnTheLoopThatMadeIt() throws Exception {
        EventLoop loop = loops.next();
        CompletableFuture<String> failedOn = new CompletableFuture<>();
        loop.execute(() -> timer.bound(new CompletableFuture<String>(), TIMEOUT).whenComplete((value, failure) ->
                failedOn.complete((failure instanceof TimeoutException ? "timeout on " : "other on ")
                        + (loop.inEventLoop() ? "its loop" : Thread.currentThread().getName()))));
        assertThat(failedOn.get(5, TimeUnit.SECONDS)).isEqualTo("timeout on its loop");
    }

    /** Whether the timer was cancelled is not observable here; what is: a late timer does not turn the answer. */
    @Test
    void anAnswerInTimeIsPassedOnAndStaysTheResult() throws Exception {
        EventLoop loop = loops.next();
        CompletableFuture<String> call = new CompletableFuture<>();
        CompletableFuture<CompletableFuture<String>> bounded = new CompletableFuture<>();
        loop.execute(() -> bounded.complete(timer.bound(call, TIMEOUT)));
        CompletableFuture<String> result = bounded.get(5, TimeUnit.SECONDS);
        call.complete("PONG");
        assertThat(result.get(5, TimeUnit.SECONDS)).isEqualTo("PONG");
        Thread.sleep(3 * TIMEOUT.toMillis());
        assertThat(result).isCompletedWithValue("PONG");
    }

    @Test
    void aFailureIsPassedOnAsItIs() throws Exception {
        CompletableFuture<CompletableFuture<String>> bounded = new CompletableFuture<>();
        loops.next().execute(() -> bounded.complete(timer.bound(
                CompletableFuture.failedFuture(new IllegalStateException("NOSCRIPT")), TIMEOUT)));
        assertThatThrownBy(() -> bounded.get(5, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void offThoseLoopsTheJdkTimerBoundsTheCall() {
        CompletableFuture<String> result = timer.bound(new CompletableFuture<>(), TIMEOUT);
        assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void aTaskScheduledFromALoopRunsOnThatLoopAndFromElsewhereOnTheFallback() throws Exception {
        EventLoop loop = loops.next();
        CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
        loop.execute(() -> timer.schedule(() -> onLoop.complete(loop.inEventLoop()), TIMEOUT));
        assertThat(onLoop.get(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Boolean> onFallback = new CompletableFuture<>();
        timer.schedule(() -> onFallback.complete(elsewhere.next().inEventLoop()), TIMEOUT);
        assertThat(onFallback.get(5, TimeUnit.SECONDS)).isTrue();
    }
}
