import java.io.*;
import javax.servlet.http.*;
import org.owasp.encoder.Encode;

public class GreetingServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String name = req.getParameter("name");
        resp.setContentType("text/html;charset=UTF-8");
        PrintWriter out = resp.getWriter();
        out.println("<p>Welcome, " + Encode.forHtml(name) + "!</p>");
    }
}
