import java.io.*;
import javax.servlet.http.*;

public class GreetingServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String name = req.getParameter("name");
        if (name == null) {
            name = "guest";
        }
        resp.setContentType("text/html;charset=UTF-8");
        PrintWriter out = resp.getWriter();
        String html = String.format("<p>Welcome, %s!</p>", name);
        out.println(html);
        out.close();
    }
}
