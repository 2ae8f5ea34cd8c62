package dev.courier.bench.peer;

import java.util.function.Consumer;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.channel.DirectChannel;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;

/** The Spring Cloud Stream application: the consumer function and the channel that carries Kafka send results. */
@SpringBootApplication
public class PeerApplication {
  @Bean
  public Consumer<Message<byte[]>> receive(ScsEndpoint endpoint) {
    return endpoint::handle;
  }

  @Bean(name = ScsEndpoint.SEND_RESULTS)
  public MessageChannel sendResults(ScsEndpoint endpoint) {
    DirectChannel channel = new DirectChannel();
    channel.subscribe(endpoint::confirmed);
    return channel;
  }
}
