import java.io.InputStream;
import java.net.Socket;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.helpers.DefaultHandler;

public class XmlReceiver {
    public void parse(Socket socket, DefaultHandler handler) throws Exception {
        InputStream in = socket.getInputStream();
        SAXParserFactory spf = SAXParserFactory.newInstance();
        spf.setNamespaceAware(true);
        SAXParser parser = spf.newSAXParser();
        parser.parse(in, handler);
    }
}
