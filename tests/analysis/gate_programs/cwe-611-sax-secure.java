import java.io.InputStream;
import java.net.Socket;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.helpers.DefaultHandler;

public class XmlReceiver {
    public void parse(Socket socket, DefaultHandler handler) throws Exception {
        InputStream in = socket.getInputStream();
        SAXParserFactory spf = SAXParserFactory.newInstance();
        spf.setFeature("http://xml.org/sax/features/external-general-entities", false);
        spf.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        spf.newSAXParser().parse(in, handler);
    }
}
