import java.io.*;
import java.net.Socket;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

public class XmlReceiver {
    public Document parse(Socket socket) throws Exception {
        InputStream socketStream = socket.getInputStream();
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(socketStream);
        return document;
    }
}
